# AlphaPulse market data: one image for every command (run, collect, serve, archive, simulate).
#
# UNTESTED: written without a Docker engine at hand (see docs/deployment.md). The steps are
# the ones CI runs (npm ci, npm run build); please report anything that does not build.
#
#   docker build -t alphapulse .
#   docker run --rm -p 3001:3001 alphapulse run --simulate
#   docker run --rm -e REDIS_URL=redis://redis:6379 alphapulse collect --shard 0/2

# ---- build: dev dependencies (TypeScript) to compile, then only what runs ----
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:20-slim
ENV NODE_ENV=production \
    # Containers are reached from outside their own loopback.
    API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY dashboards ./dashboards
COPY deploy ./deploy
# The image's files belong to root and are read-only for the process: it runs as `node`
# (uid 1000), needs no writable path (logs go to stdout) and no privileged port.
USER node
EXPOSE 3001 9091
ENTRYPOINT ["node", "bin/alphapulse.js"]
CMD ["run"]
