-- AlterTable
ALTER TABLE "CheckinAnswer" ADD COLUMN     "deliveryError" TEXT;
