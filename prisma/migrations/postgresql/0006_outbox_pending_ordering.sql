-- The claim skips a pending row while an older pending row shares its ordering key (NOT EXISTS … "id" < m."id").
-- With only 0005's partial index on id, PostgreSQL's planner (on a young table, before autovacuum's first ANALYZE)
-- answered that probe by walking every older pending row and filtering on the key: quadratic in the backlog (21,000
-- buffer reads, 5.8 ms per claim with 206 pending rows in the bench). This index answers it by key and id directly.
CREATE INDEX "outbox_messages_pending_ordering_key_id_idx" ON "outbox_messages" ("ordering_key", "id") WHERE "status" = 'pending';
