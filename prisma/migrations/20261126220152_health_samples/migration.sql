-- The match's health each time it changed (the program page's health over time).
CREATE TABLE "HealthSample" (
    "id" BIGSERIAL NOT NULL,
    "matchId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "score" INTEGER,
    "band" TEXT NOT NULL,

    CONSTRAINT "HealthSample_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "HealthSample_matchId_at_idx" ON "HealthSample"("matchId", "at");

ALTER TABLE "HealthSample" ADD CONSTRAINT "HealthSample_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Matches stored before: their health now, as of their last change, so the chart does not start empty.
INSERT INTO "HealthSample" ("matchId", "at", "score", "band")
SELECT "id", "updatedAt", "healthScore", "healthBand" FROM "Match" WHERE "healthBand" <> 'too_early';
