-- AlterTable
ALTER TABLE "Match" ADD COLUMN     "checkinsAnswered" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "checkinsAsked" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "checkinsCompleted" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "closedAt" TIMESTAMP(3),
ADD COLUMN     "cohort" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "healthBand" TEXT NOT NULL DEFAULT 'too_early',
ADD COLUMN     "healthScore" INTEGER,
ADD COLUMN     "healthTrend" TEXT,
ADD COLUMN     "kickoffAt" TIMESTAMP(3),
ADD COLUMN     "kickoffDeadlineAt" TIMESTAMP(3),
ADD COLUMN     "kickoffHeldAt" TIMESTAMP(3),
ADD COLUMN     "kickoffStatus" TEXT NOT NULL DEFAULT 'unscheduled',
ADD COLUMN     "lastCheckinAt" TIMESTAMP(3),
ADD COLUMN     "lastCheckinResponse" TEXT,
ADD COLUMN     "nextStep" TEXT,
ADD COLUMN     "nextStepAt" TIMESTAMP(3),
ADD COLUMN     "openEscalations" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "outcomeReason" TEXT,
ADD COLUMN     "paused" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "playbookVersion" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "signals" JSONB NOT NULL DEFAULT '[]';

-- Existing matches get their cohort (the start month), new ones always set it.
UPDATE "Match" SET "cohort" = to_char("startDate", 'YYYY-MM');
ALTER TABLE "Match" ALTER COLUMN "cohort" DROP DEFAULT;

-- AlterTable
ALTER TABLE "Email" ADD COLUMN     "ics" TEXT;

-- CreateTable
CREATE TABLE "Playbook" (
    "programId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "body" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Playbook_pkey" PRIMARY KEY ("programId","version")
);

-- CreateTable
CREATE TABLE "ProgramManager" (
    "programId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,

    CONSTRAINT "ProgramManager_pkey" PRIMARY KEY ("programId","personId")
);

-- CreateTable
CREATE TABLE "Escalation" (
    "id" TEXT NOT NULL,
    "matchId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "reasons" JSONB NOT NULL,
    "evidence" JSONB NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "acknowledgedAt" TIMESTAMP(3),
    "snoozedUntil" TIMESTAMP(3),
    "snoozeReason" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "resolvedBy" TEXT,
    "resolution" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Escalation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CoordinatorTask" (
    "id" TEXT NOT NULL,
    "matchId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "label" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "openAt" TIMESTAMP(3) NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "doneAt" TIMESTAMP(3),
    "note" TEXT,

    CONSTRAINT "CoordinatorTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ContractDocument" (
    "matchId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "label" JSONB NOT NULL,
    "required" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3),
    "reason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ContractDocument_pkey" PRIMARY KEY ("matchId","type")
);

-- CreateTable
CREATE TABLE "CheckinAnswer" (
    "id" TEXT NOT NULL,
    "matchId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "respondent" TEXT NOT NULL,
    "answers" JSONB NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "signalledAt" TIMESTAMP(3),

    CONSTRAINT "CheckinAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Escalation_matchId_idx" ON "Escalation"("matchId");

-- CreateIndex
CREATE INDEX "Escalation_status_dueAt_idx" ON "Escalation"("status", "dueAt");

-- CreateIndex
CREATE INDEX "CoordinatorTask_matchId_idx" ON "CoordinatorTask"("matchId");

-- CreateIndex
CREATE INDEX "CoordinatorTask_status_dueAt_idx" ON "CoordinatorTask"("status", "dueAt");

-- CreateIndex
CREATE INDEX "CheckinAnswer_signalledAt_idx" ON "CheckinAnswer"("signalledAt");

-- CreateIndex
CREATE UNIQUE INDEX "CheckinAnswer_matchId_round_respondent_key" ON "CheckinAnswer"("matchId", "round", "respondent");

-- CreateIndex
CREATE INDEX "Match_programId_healthBand_idx" ON "Match"("programId", "healthBand");

-- CreateIndex
CREATE INDEX "Match_programId_cohort_idx" ON "Match"("programId", "cohort");

-- AddForeignKey
ALTER TABLE "Playbook" ADD CONSTRAINT "Playbook_programId_fkey" FOREIGN KEY ("programId") REFERENCES "Program"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProgramManager" ADD CONSTRAINT "ProgramManager_programId_fkey" FOREIGN KEY ("programId") REFERENCES "Program"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProgramManager" ADD CONSTRAINT "ProgramManager_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Escalation" ADD CONSTRAINT "Escalation_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CoordinatorTask" ADD CONSTRAINT "CoordinatorTask_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContractDocument" ADD CONSTRAINT "ContractDocument_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CheckinAnswer" ADD CONSTRAINT "CheckinAnswer_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;
