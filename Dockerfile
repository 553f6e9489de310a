# syntax=docker/dockerfile:1
# kefu gateway image: one node (embedded SQLite under /app/data) or, with the KEFU_CLUSTER__* and
# KEFU_STORE__* overrides, a cluster node (docker-compose.yml). README "Five-minute deploy".
# Checked by test/deploy/deploy-files.test.ts (parsed, never built on the CI machine).

# ---- build: every dependency (tsc, esbuild), compile, then drop the dev dependencies ----
FROM node:20-bookworm AS build
WORKDIR /src
# Manifests first, so a code change does not download the dependencies again. .npmrc carries
# onnxruntime-node-install=skip (its postinstall would fetch GPU binaries; the CPU ones ship in
# the package), so no ONNXRUNTIME_NODE_INSTALL is needed here. The file: dev dependency needs
# its folder before npm ci. --ignore-scripts: the root "prepare" script is the build, and the
# sources are not here yet; the packages' own install scripts run in `npm rebuild` below.
COPY package.json package-lock.json .npmrc ./
COPY plugins/wordfilter-example/ plugins/wordfilter-example/
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# rebuild: better-sqlite3's native binding (prebuilt, or compiled with this image's g++).
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf dist/test

# ---- runtime: production dependencies, dist/, config defaults and the default intent model ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root: the gateway cannot rewrite its own code; it writes only data/ and media/.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/config/kefu.toml /src/config/synonyms.toml ./config/
# First start copies it to data/model.onnx ([ai] model_path), where a retrained one replaces it.
COPY --from=build /src/plugins/intent-onnx/model/ ./plugins/intent-onnx/model/
# media/: the shared upload dir of cluster nodes (KEFU_STORE__MEDIA_DIR=/app/media in compose).
# Created here so a fresh named volume mounted on either path is owned by the node user.
RUN mkdir -p /app/data /app/media && chown node:node /app/data /app/media
USER node
# [server] public_port and workspace_port defaults (config/kefu.toml).
EXPOSE 8000 9000
# The SQLite store, the intent model copy and (single node) uploads: ./data/ from the default config.
VOLUME ["/app/data"]
# Liveness, not readiness: /healthz answers while the process serves HTTP. /readyz turns 503 during
# a Redis outage, which a node rides out by itself while still storing what it can make durable;
# a restart would not bring Redis back. The load balancer routes on /readyz (deploy/haproxy.cfg).
# Node's fetch, since the slim image has no curl; the port follows KEFU_SERVER__WORKSPACE_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.KEFU_SERVER__WORKSPACE_PORT || 9000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) shuts the gateway down gracefully ([server] shutdown_timeout_ms).
ENTRYPOINT ["node", "dist/kefu.mjs"]
CMD ["start"]
