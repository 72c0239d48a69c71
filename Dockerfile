# The image of docker-compose.yml's worker, scheduler and board (they differ by command only).
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript entry points, so dev dependencies are installed too.
RUN npm ci --include=dev && npm cache clean --force
COPY . .
USER node
CMD ["node", "--import", "tsx", "workers/worker.ts"]
