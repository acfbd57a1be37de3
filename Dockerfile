# One image for the API and every service worker; docker-compose.yml picks the entry per container.

# build: every dependency, the TypeScript compiled to dist/ and the workflow bundle prebuilt (npm run build), then
# the development dependencies pruned away.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (the services' embedded default) builds from source where no prebuilt binary is at hand.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY codec ./codec
COPY scripts/build-workflow-bundle.ts ./scripts/
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# runtime: production dependencies and compiled code only, run as the unprivileged `node` user. Workers load
# dist/workflow-bundle.js and never run webpack at start.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# 3000: the API; 9464: a worker's Prometheus endpoint (METRICS_PORT).
EXPOSE 3000 9464
CMD ["node", "dist/api/server.js"]
