-- Sign-ins at an OpenID Connect identity provider, for RP-initiated and back-channel logout.

-- CreateTable
CREATE TABLE "oidc_sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "sid" TEXT,
    "session_id" TEXT NOT NULL,
    "id_token_enc" TEXT NOT NULL,
    "access_token_enc" TEXT,
    "refresh_token_enc" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "oidc_sessions_issuer_sid_idx" ON "oidc_sessions"("issuer", "sid");
CREATE INDEX "oidc_sessions_issuer_subject_idx" ON "oidc_sessions"("issuer", "subject");
CREATE INDEX "oidc_sessions_session_id_idx" ON "oidc_sessions"("session_id");

-- AddForeignKey
ALTER TABLE "oidc_sessions" ADD CONSTRAINT "oidc_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
