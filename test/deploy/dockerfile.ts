import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/env';

/** One build stage of the Dockerfile: its base, and its instructions with continuation lines joined. */
export type DockerfileStage = { name: string; from: string; instructions: string[] };

/** The Dockerfile's stages, in order (read as Docker does: comments dropped, `\` continuations joined). */
export function dockerfileStages(file = path.join(PROJECT_ROOT, 'Dockerfile')): DockerfileStage[] {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: DockerfileStage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** A stage's instructions of one kind (`RUN`, `CMD`…), without the keyword; a stage inherits its base's. */
export function instructionsOf(stages: DockerfileStage[], name: string, keyword: string): string[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  const inherited = stages.some((s) => s.name === stage.from) ? instructionsOf(stages, stage.from, keyword) : [];
  const own = stage.instructions
    .filter((line) => line.toUpperCase().startsWith(`${keyword.toUpperCase()} `))
    .map((line) => line.slice(keyword.length + 1).trim());
  return [...inherited, ...own];
}
