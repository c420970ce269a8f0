-- Per-user data keys (envelope encryption, src/vault/data-keys.ts) and the record of erasures.
-- Existing ciphertexts stay readable: Keyfob moves them to the users' data keys in batches while it serves
-- (src/jobs/move-to-data-keys.ts), and creates the data keys of existing users as it goes.

-- CreateTable
CREATE TABLE "user_data_keys" (
    "user_id" UUID NOT NULL,
    "kek_id" TEXT NOT NULL,
    "wrapped_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rewrapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_data_keys_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "user_data_keys_kek_id_idx" ON "user_data_keys"("kek_id");

-- AddForeignKey
ALTER TABLE "user_data_keys" ADD CONSTRAINT "user_data_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: what proves an erasure happened, and nothing personal (the pseudonym is a one-way hash of the id).
CREATE TABLE "erasures" (
    "pseudonym" TEXT NOT NULL,
    "erased_at" TIMESTAMPTZ(3) NOT NULL,
    "requested_by" TEXT NOT NULL,
    "disconnections" JSONB NOT NULL DEFAULT '[]',
    "reapplied_at" TIMESTAMPTZ(3),

    CONSTRAINT "erasures_pkey" PRIMARY KEY ("pseudonym")
);
