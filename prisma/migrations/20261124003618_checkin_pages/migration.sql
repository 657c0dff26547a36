-- AlterTable
ALTER TABLE "Match" ADD COLUMN     "kickoffLocation" TEXT,
ADD COLUMN     "kickoffProposal" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "kickoffSlots" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "CheckinRound" (
    "matchId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "closeAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "answered" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "CheckinRound_pkey" PRIMARY KEY ("matchId","round")
);

-- AddForeignKey
ALTER TABLE "CheckinRound" ADD CONSTRAINT "CheckinRound_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;
