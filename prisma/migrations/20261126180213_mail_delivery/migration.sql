-- AlterTable
ALTER TABLE "Email" ADD COLUMN     "attemptedAt" TIMESTAMP(3),
ADD COLUMN     "possibleDuplicates" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Match" ADD COLUMN     "deliveryProblems" JSONB NOT NULL DEFAULT '[]';
