-- Smartcar webhook deliveries, stored (sealed) before they are answered and processed after; the newest value of
-- each vehicle signal, and every value received, for the live dashboard and its history chart.

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "body_enc" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),
    "processed_at" TIMESTAMPTZ(3),
    "outcome" TEXT,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vehicle_signals" (
    "vehicle_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "value_enc" TEXT NOT NULL,
    "oem_updated_at" TIMESTAMPTZ(3) NOT NULL,
    "history_id" BIGINT NOT NULL,

    CONSTRAINT "vehicle_signals_pkey" PRIMARY KEY ("vehicle_id","code")
);

-- CreateTable
CREATE TABLE "vehicle_signal_history" (
    "id" BIGSERIAL NOT NULL,
    "vehicle_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "value_enc" TEXT NOT NULL,
    "oem_updated_at" TIMESTAMPTZ(3) NOT NULL,
    "event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vehicle_signal_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_provider_event_id_key" ON "webhook_deliveries"("provider", "event_id");
CREATE INDEX "webhook_deliveries_processed_at_received_at_idx" ON "webhook_deliveries"("processed_at", "received_at");
CREATE UNIQUE INDEX "vehicle_signal_history_vehicle_id_code_oem_updated_at_key" ON "vehicle_signal_history"("vehicle_id", "code", "oem_updated_at");
CREATE INDEX "vehicle_signal_history_vehicle_id_id_idx" ON "vehicle_signal_history"("vehicle_id", "id");

-- AddForeignKey
ALTER TABLE "vehicle_signals" ADD CONSTRAINT "vehicle_signals_vehicle_id_fkey" FOREIGN KEY ("vehicle_id") REFERENCES "vehicles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "vehicle_signal_history" ADD CONSTRAINT "vehicle_signal_history_vehicle_id_fkey" FOREIGN KEY ("vehicle_id") REFERENCES "vehicles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
