# syntax=docker/dockerfile:1
# Build: compile TypeScript with the full dependency set.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY libs ./libs
RUN npx nest build

# Production dependencies only (no embedded PostgreSQL, no test tooling).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Migrations as a separate step (then run the service with MIGRATIONS_RUN=false):
#   docker run --rm -e DATABASE_URL=... IMAGE node node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
CMD ["node", "dist/src/main.js"]
