# The nugget container image (docs/deployment.md, "Container image").
#   docker build -t nugget .        (or podman build --format docker -t nugget .)
# NODE_IMAGE is any Debian-based image with Node.js 22.19 or later and npm in it: the official one by default;
# deploy/container/debian-node-base.sh builds one from Debian packages where no registry is reachable.
ARG NODE_IMAGE=node:24-bookworm-slim

# Stage 1: the production dependencies, installed exactly as the lock file says (no compiler needed: the native
# modules, better-sqlite3 and the optional koffi that reaches glibc's malloc_trim, ship prebuilt binaries).
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY tools/dev-node/package.json tools/dev-node/package.json
COPY bin/check-node.js bin/check-node.js
# Behind a TLS-inspecting proxy or with a private registry, hand npm your CA bundle and/or .npmrc as build secrets
# (they stay out of the image): --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt --secret id=npmrc,src=.npmrc
RUN --mount=type=secret,id=ca,target=/run/secrets/ca,required=false \
    --mount=type=secret,id=npmrc,target=/root/.npmrc,required=false \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# Stage 2: what runs. tini is PID 1: it passes SIGTERM/SIGINT to nugget, which then stops gracefully
# (--shutdown-timeout), and reaps zombies.
FROM ${NODE_IMAGE}
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 nugget \
  && useradd --system --uid 10001 --gid nugget --home-dir /var/lib/nugget --shell /usr/sbin/nologin nugget \
  && mkdir -p /var/lib/nugget \
  && chown nugget:nugget /var/lib/nugget
WORKDIR /app
COPY --from=dependencies /app/node_modules node_modules
COPY package.json LICENSE ./
COPY bin bin
COPY src src
RUN ln -s /app/bin/nugget.js /usr/local/bin/nugget
ENV NODE_ENV=production \
    NUGGET_DATA_DIR=/var/lib/nugget \
    NUGGET_HOST=0.0.0.0 \
    NUGGET_PORT=5000
USER nugget
VOLUME /var/lib/nugget
EXPOSE 5000
# Ready = the database answers and storage does a round trip (docs/deployment.md, "Health checks").
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.NUGGET_PORT ?? 5000}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "nugget"]
CMD ["serve"]
