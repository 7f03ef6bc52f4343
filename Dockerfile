# The image's own Node 24 runs the gateway, so the npm `node` package (a dev dependency that
# brings Node 24 to machines without it) is neither installed nor needed here.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts server.ts ./
COPY lib ./lib
COPY plugins ./plugins
COPY routes ./routes
COPY schemas ./schemas
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts

FROM node:24-slim
ENV NODE_ENV=production ADDRESS=0.0.0.0:8080
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The SQLite store (DATA_DIR=./data) is created here by the unprivileged user; mount a volume on it to keep it.
RUN mkdir /app/data && chown node:node /app/data
VOLUME /app/data
USER node
EXPOSE 8080
# The server checks itself: it reads the same configuration (a mounted config.yaml, or the
# environment) and asks /health on the port it listens on.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 \
  CMD ["node", "dist/server.js", "--healthcheck"]
# A small young generation keeps idle memory down (measured in docs/benchmarks.md).
CMD ["node", "--max-semi-space-size=1", "dist/server.js"]
