-- AlterTable
ALTER TABLE "Escalation" ADD COLUMN     "reason" JSONB;

-- AlterTable
ALTER TABLE "Match" ADD COLUMN     "risk" JSONB,
ADD COLUMN     "riskCauses" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "riskLevel" TEXT;

-- CreateIndex
CREATE INDEX "Match_programId_riskLevel_idx" ON "Match"("programId", "riskLevel");
