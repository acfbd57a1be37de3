# One image for the API and every service worker; docker-compose.yml picks the entry per container.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# better-sqlite3 (the services' embedded default) builds from source where no prebuilt binary is at hand.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY config ./config
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
