# otelpoc in a container: used by the `app` profile of docker-compose.yml
# (`docker compose --profile app up -d --wait`), so that `otelpoc serve` runs inside the stack's network
# and exports to http://alloy:4318. Any otelpoc command works: docker run --rm otelpoc load --help
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
USER node
EXPOSE 8088
ENTRYPOINT ["node", "/app/bin/otelpoc"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8088"]
