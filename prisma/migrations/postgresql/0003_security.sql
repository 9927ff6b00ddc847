-- Security and privacy: the append-only access log and the shared per-user rate-limit counters.
CREATE TABLE "access_log" (
  "id" SERIAL PRIMARY KEY,
  "actor_id" TEXT NOT NULL,
  "actor_aad_object_id" TEXT,
  "request_id" INTEGER,
  "action" TEXT NOT NULL,
  "at" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "access_log_request_id_at_idx" ON "access_log"("request_id", "at");
CREATE INDEX "access_log_actor_id_at_idx" ON "access_log"("actor_id", "at");

CREATE TABLE "rate_limits" (
  "key" TEXT NOT NULL PRIMARY KEY,
  "points" INTEGER NOT NULL,
  "expire" TIMESTAMP(3)
);
CREATE INDEX "rate_limits_expire_idx" ON "rate_limits"("expire");
