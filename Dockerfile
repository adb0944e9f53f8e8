# syntax=docker/dockerfile:1
# modelgate: build with dev dependencies, ship only the compiled service and production dependencies.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build-console.sh ./scripts/
# The reviewer console (/console) is bundled from dev dependencies into dist/console before the prune.
RUN npx tsc -p tsconfig.json \
 && scripts/build-console.sh \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MODELGATE_DATA_DIR=/var/lib/modelgate \
    MODELGATE_DB=/var/lib/modelgate/modelgate.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The shipped default bundle; mount your own over /app/bundles or set MODELGATE_BUNDLE.
COPY bundles ./bundles
# Policies' time.* builtins read IANA zone files as OPA does (Go reads /usr/share/zoneinfo first).
RUN apt-get update && apt-get install -y --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /var/lib/modelgate && chown node:node /var/lib/modelgate
USER node
EXPOSE 8080
VOLUME ["/var/lib/modelgate"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The node flags of `npm start` (package.json), for the same reason: see docs/operations.md, "Performance".
ENTRYPOINT ["node", "--max-semi-space-size=32", "--min-semi-space-size=32", "dist/cli/main.js"]
CMD ["serve"]
