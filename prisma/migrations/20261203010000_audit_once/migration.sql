-- One audit event per request and action: a batch retried after an ambiguous failure (committed, but the answer
-- lost with the connection) must not be counted twice. Copies an earlier retry may have left are removed first.
DELETE FROM "audit_events" a USING "audit_events" b
WHERE a."request_id" = b."request_id" AND a."action" = b."action" AND a."id" > b."id";

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_request_id_action_key" ON "audit_events"("request_id", "action");
