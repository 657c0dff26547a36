-- Each program keeps its own record of a person. A person shared by several programs (through their matches or as
-- a program manager) is split into one record per program, and each program's rows point at its own record.
ALTER TABLE "Person" ADD COLUMN "programId" TEXT;

-- An address may now appear once per program.
DROP INDEX "Person_email_key";

-- The record each (person, program) pair will use: the program whose id sorts first keeps the existing row.
CREATE TABLE "_PersonSplit" AS
WITH uses AS (
  SELECT "hostId" AS person_id, "programId" AS program_id FROM "Match"
  UNION SELECT "talentId", "programId" FROM "Match"
  UNION SELECT "coordinatorId", "programId" FROM "Match"
  UNION SELECT "personId", "programId" FROM "ProgramManager"
)
SELECT person_id, program_id,
  CASE WHEN program_id = MIN(program_id) OVER (PARTITION BY person_id) THEN person_id
       ELSE gen_random_uuid()::text END AS new_id
FROM uses;

UPDATE "Person" p SET "programId" = s.program_id
FROM "_PersonSplit" s WHERE s.person_id = p."id" AND s.new_id = p."id";

INSERT INTO "Person" ("id", "programId", "email", "name", "locale", "role", "organization", "createdAt")
SELECT s.new_id, s.program_id, p."email", p."name", p."locale", p."role", p."organization", p."createdAt"
FROM "_PersonSplit" s JOIN "Person" p ON p."id" = s.person_id
WHERE s.new_id <> s.person_id;

UPDATE "Match" m SET "hostId" = s.new_id FROM "_PersonSplit" s
WHERE s.person_id = m."hostId" AND s.program_id = m."programId" AND s.new_id <> s.person_id;

UPDATE "Match" m SET "talentId" = s.new_id FROM "_PersonSplit" s
WHERE s.person_id = m."talentId" AND s.program_id = m."programId" AND s.new_id <> s.person_id;

UPDATE "Match" m SET "coordinatorId" = s.new_id FROM "_PersonSplit" s
WHERE s.person_id = m."coordinatorId" AND s.program_id = m."programId" AND s.new_id <> s.person_id;

UPDATE "ProgramManager" pm SET "personId" = s.new_id FROM "_PersonSplit" s
WHERE s.person_id = pm."personId" AND s.program_id = pm."programId" AND s.new_id <> s.person_id;

-- Records no program refers to (a coordinator named for a hand-over the workflow refused) belong to nobody.
DELETE FROM "Person" WHERE "programId" IS NULL;

DROP TABLE "_PersonSplit";

ALTER TABLE "Person" ALTER COLUMN "programId" SET NOT NULL;

-- CreateIndex
CREATE INDEX "Person_email_idx" ON "Person"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Person_programId_email_key" ON "Person"("programId", "email");

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_programId_fkey" FOREIGN KEY ("programId") REFERENCES "Program"("id") ON DELETE CASCADE ON UPDATE CASCADE;
