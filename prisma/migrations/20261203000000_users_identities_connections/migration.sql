-- One Keyfob user, many connections (issue: many providers, one user). Nothing is lost: every provider account
-- becomes an identity of its user, the account id moves onto the user's grants, and the rows of the old
-- single-provider sandbox mode (provider 'sandbox', which spoke Smartcar) become Smartcar's.

-- CreateTable
CREATE TABLE "identities" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "identities_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "identities_kind_issuer_subject_key" ON "identities"("kind", "issuer", "subject");
CREATE INDEX "identities_user_id_idx" ON "identities"("user_id");

-- AddForeignKey
ALTER TABLE "identities" ADD CONSTRAINT "identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "grants" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'user',
ADD COLUMN "provider_account_id" TEXT,
ADD COLUMN "pending_approval" BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE "vehicles" ADD COLUMN "clearance_status" TEXT;

-- Move the data
UPDATE "users" SET "provider" = 'smartcar' WHERE "provider" = 'sandbox';
UPDATE "grants" SET "provider" = 'smartcar' WHERE "provider" = 'sandbox';
UPDATE "vehicles" SET "provider" = 'smartcar' WHERE "provider" = 'sandbox';

INSERT INTO "identities" ("id", "user_id", "kind", "issuer", "subject", "created_at")
SELECT gen_random_uuid(), "id", 'provider', "provider", "provider_user_id", "created_at" FROM "users";

UPDATE "grants" g SET "provider_account_id" = u."provider_user_id" FROM "users" u WHERE u."id" = g."user_id";

-- DropIndex
DROP INDEX "users_provider_provider_user_id_key";

-- AlterTable
ALTER TABLE "users" DROP COLUMN "provider",
DROP COLUMN "provider_user_id";
