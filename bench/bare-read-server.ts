import express from 'express';
import pg from 'pg';
import { z } from 'zod';
import { parseEnv } from '../config/env';

/**
 * The read benchmark's baseline: a bare Express process whose routes each make one `pg` query on the same database
 * as the API, with no authentication, validation or mapping. What a read can cost at the least on this machine.
 */
const env = parseEnv(
  z.object({
    DATABASE_URL: z.string().min(1),
    PORT: z.coerce.number().int(),
    POOL_SIZE: z.coerce.number().default(10),
  }),
);
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: env.POOL_SIZE });
const app = express();

app.get('/matches/:id', async (req, res) => {
  const { rows } = await pool.query('SELECT * FROM "Match" WHERE id = $1', [req.params.id]);
  if (!rows[0]) return void res.status(404).json({ title: 'not found' });
  res.json({ match: rows[0] });
});

app.get('/matches', async (req, res) => {
  const { rows } = await pool.query(
    `SELECT m.*, h.name AS "hostName", h.email AS "hostEmail", t.name AS "talentName", t.email AS "talentEmail",
            c.name AS "coordinatorName", c.email AS "coordinatorEmail"
       FROM "Match" m
       JOIN "Person" h ON h.id = m."hostId"
       JOIN "Person" t ON t.id = m."talentId"
       JOIN "Person" c ON c.id = m."coordinatorId"
      WHERE m."programId" = $1
      ORDER BY m."healthScore" ASC NULLS LAST, m.id ASC
      LIMIT 51`,
    [String(req.query.program ?? '')],
  );
  res.json({ items: rows.slice(0, 50), nextCursor: rows.length > 50 ? rows[49].id : null });
});

app.listen(env.PORT, '127.0.0.1', () => console.log(`bare read server: listening on ${env.PORT}`));
