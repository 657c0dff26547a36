-- A match is registered in two steps (row, then workflow). A row whose workflow is not yet confirmed has
-- "registeredAt" null until the API (or its reconciler) finishes it. Matches already stored are registered.
ALTER TABLE "Match" ADD COLUMN "requestHash" TEXT,
ADD COLUMN "registeredAt" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP;

UPDATE "Match" SET "registeredAt" = "createdAt";

CREATE INDEX "Match_registeredAt_idx" ON "Match"("registeredAt");
