-- AlterTable
ALTER TABLE "Match" ADD COLUMN     "endsAt" TIMESTAMP(3);
