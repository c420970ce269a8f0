-- AlterTable
ALTER TABLE "grants" ADD COLUMN     "keepalive_claimed_until" TIMESTAMPTZ(3);
