# syntax=docker/dockerfile:1
# The customer and admin portals (web/), built once and served as static files by
# unprivileged nginx: customer on :8080, admin on :8081, client-side routes answered
# with index.html. Each portal reads /config.json (`{"apiBaseUrl": "https://…"}`,
# the Envoy edge) at start; mount it at /etc/canopy-portals/customer.json and
# /etc/canopy-portals/admin.json (e.g. from a ConfigMap).
#   docker build -f mesh/docker/portals.Dockerfile -t canopy-portals:dev .

FROM node:20-bookworm AS build
WORKDIR /src
# The portals compile @canopy/sdk from sdk/ts/src, which needs the SDK's own packages.
COPY sdk/ts/package.json sdk/ts/package-lock.json sdk/ts/
RUN npm ci --prefix sdk/ts --no-audit --no-fund --loglevel=error
COPY web/package.json web/package-lock.json web/
COPY web/ui/package.json web/ui/
COPY web/customer/package.json web/customer/
COPY web/admin/package.json web/admin/
RUN npm ci --prefix web --no-audit --no-fund --loglevel=error
COPY sdk/ts sdk/ts
COPY web web
RUN npm run build --prefix web

FROM nginxinc/nginx-unprivileged:1.28-alpine
COPY mesh/docker/portals.nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /src/web/customer/dist /usr/share/nginx/html/customer
COPY --from=build /src/web/admin/dist /usr/share/nginx/html/admin
EXPOSE 8080 8081
