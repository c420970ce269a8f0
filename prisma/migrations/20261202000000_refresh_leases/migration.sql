-- Refresh leases instead of row locks held across the token endpoint's answer (tokens/refresh-lease.ts).

-- AlterTable
ALTER TABLE "grants" ADD COLUMN     "refresh_lease_holder" UUID,
ADD COLUMN     "refresh_lease_until" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "app_tokens" ALTER COLUMN "token_enc" DROP NOT NULL,
ALTER COLUMN "expires_at" DROP NOT NULL,
ADD COLUMN     "lease_holder" UUID,
ADD COLUMN     "lease_until" TIMESTAMPTZ(3);
