# One image for the API and the worker (the command picks which). Build: docker build -t bansou .
FROM node:20.20-bookworm-slim

ENV NODE_ENV=production \
    PRISMA_CLIENT_ENGINE_TYPE=client \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app

COPY package.json package-lock.json .npmrc ./
# Dev tools are needed once, for `prisma generate`; they are pruned right after.
RUN npm install --no-audit --no-fund --include=dev
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN DATABASE_URL=postgresql://generate@localhost/generate node_modules/.bin/prisma generate && npm prune --omit=dev --no-audit --no-fund && npm install --no-save --no-audit --no-fund prisma@6.19.3

COPY tsconfig.json ./
COPY config ./config
COPY temporal ./temporal
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY cli ./cli

USER node
# Node runs the TypeScript entry points through tsx's loader: one process, so signals reach the program.
CMD ["node", "--import", "tsx", "api/main.ts"]
