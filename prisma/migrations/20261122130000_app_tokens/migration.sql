-- CreateTable
CREATE TABLE "app_tokens" (
    "cache_key" TEXT NOT NULL,
    "token_enc" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "app_tokens_pkey" PRIMARY KEY ("cache_key")
);
