-- Which vehicles a machine client (an access token's client_id) may reach: all of a user's, or one vehicle.
-- None by default: a client with no row here reaches nothing.

-- CreateTable
CREATE TABLE "machine_access" (
    "id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "user_id" UUID,
    "vehicle_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "machine_access_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "machine_access_one_target" CHECK (("user_id" IS NULL) <> ("vehicle_id" IS NULL))
);

-- CreateIndex
CREATE UNIQUE INDEX "machine_access_client_id_user_id_key" ON "machine_access"("client_id", "user_id");
CREATE UNIQUE INDEX "machine_access_client_id_vehicle_id_key" ON "machine_access"("client_id", "vehicle_id");
CREATE INDEX "machine_access_user_id_idx" ON "machine_access"("user_id");
CREATE INDEX "machine_access_vehicle_id_idx" ON "machine_access"("vehicle_id");

-- AddForeignKey
ALTER TABLE "machine_access" ADD CONSTRAINT "machine_access_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "machine_access" ADD CONSTRAINT "machine_access_vehicle_id_fkey" FOREIGN KEY ("vehicle_id") REFERENCES "vehicles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
