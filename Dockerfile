# card-api image: builds better-sqlite3 from source (the embedded store is still there for DATA_DIR keys).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
EXPOSE 3000
# A heap limit sized for card-api (its live heap is some 50 MiB): V8 then collects before the old space grows to
# four times what is alive, as it does under the limit it derives from the machine's memory (docs/performance.md,
# row 9). The same flags as `npm start` (scripts/production-node-flags.spec.ts).
CMD ["node", "--max-old-space-size=384", "--max-semi-space-size=32", "dist/apps/card-api/src/main.js"]
