-- What each provider last said about a vehicle's trouble (Smartcar VEHICLE_ERROR events, High Mobility consent
-- answers): one row per type and code, ERROR or RESOLVED, newest report wins.

-- CreateTable
CREATE TABLE "vehicle_conditions" (
    "vehicle_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "reported_at" TIMESTAMPTZ(3) NOT NULL,
    "resolution" TEXT,
    "user_message" TEXT,
    "signals" TEXT[],
    "source" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vehicle_conditions_pkey" PRIMARY KEY ("vehicle_id","type","code")
);

-- AddForeignKey
ALTER TABLE "vehicle_conditions" ADD CONSTRAINT "vehicle_conditions_vehicle_id_fkey" FOREIGN KEY ("vehicle_id") REFERENCES "vehicles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
