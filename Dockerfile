# The images of bansou, from one build (targets; the default is the API):
#   docker build -t bansou-api .
#   docker build --target worker -t bansou-worker .
#   docker build --target migrate -t bansou-migrate .
# The TypeScript is compiled and the workflow bundle built here, so the containers run plain JavaScript (no tsx) as
# the unprivileged `node` user.
FROM node:20.20-bookworm-slim AS base
ENV PRISMA_CLIENT_ENGINE_TYPE=client \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app

# Everything the lockfile names, dev tools included (the compiler, the Prisma CLI, webpack for the workflow bundle).
FROM base AS build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
RUN DATABASE_URL=postgresql://generate@localhost/generate node_modules/.bin/prisma generate
COPY config ./config
COPY telemetry ./telemetry
COPY temporal ./temporal
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY cli ./cli
# JavaScript beside each source file (templates and assets stay where the code looks for them), then the bundles
# (workflow-bundle.js for tracing off, workflow-bundle.traced.js for tracing on).
RUN node_modules/.bin/tsc -p tsconfig.build.json && node worker/bundle.js workflow-bundle.js

# The one-shot migration job: `prisma migrate deploy` through the Prisma CLI's WebAssembly engine (a dev tool).
FROM build AS migrate
USER node
CMD ["node_modules/.bin/prisma", "migrate", "deploy"]

# The lockfile's runtime dependencies only; the Prisma client generated above stays (node_modules/.prisma).
FROM build AS production-modules
RUN npm prune --omit=dev --no-audit --no-fund

FROM base AS runtime
ENV NODE_ENV=production
COPY --from=production-modules /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/config ./config
COPY --from=build /app/telemetry ./telemetry
COPY --from=build /app/temporal ./temporal
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/activities ./activities
COPY --from=build /app/worker ./worker
COPY --from=build /app/api ./api
COPY --from=build /app/cli ./cli
COPY --from=build /app/prisma ./prisma
USER node

# The worker loads the prebuilt bundle for its tracing; its health, metrics and readiness are on METRICS_PORT.
FROM runtime AS worker
COPY --from=build /app/workflow-bundle.js /app/workflow-bundle.traced.js ./
ENV WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.METRICS_PORT || 9464}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# With WORKER_MEMORY_MB set, node starts with that budget's heap limit (`node worker/memory.js` prints the flags).
CMD ["sh", "-c", "exec node $(node worker/memory.js) worker/main.js"]

# The API (the default target). Also runs the command line: `node cli/main.js …`.
FROM runtime AS api
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "api/main.js"]
