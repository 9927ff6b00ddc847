-- Access managers' workflow: transactional outbox, managers' card thread, deadlines swept from the database.
ALTER TABLE "access_requests" ADD COLUMN "manager_card_conversation_id" TEXT;
ALTER TABLE "access_requests" ADD COLUMN "next_due_at" DATETIME;
ALTER TABLE "access_requests" ADD COLUMN "reminders_sent" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "access_requests_next_due_at_idx" ON "access_requests"("next_due_at");

CREATE TABLE "outbox_messages" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "kind" TEXT NOT NULL,
  "target" TEXT NOT NULL,
  "payload" TEXT NOT NULL,
  "dedupe_key" TEXT,
  "ordering_key" TEXT,
  "status" TEXT NOT NULL,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "next_attempt_at" DATETIME NOT NULL,
  "lock_owner" TEXT,
  "locked_until" DATETIME,
  "activity_id" TEXT,
  "conversation_id" TEXT,
  "last_error" TEXT,
  "created_at" DATETIME NOT NULL,
  "updated_at" DATETIME NOT NULL,
  "sent_at" DATETIME
);
CREATE UNIQUE INDEX "outbox_messages_dedupe_key_key" ON "outbox_messages"("dedupe_key");
CREATE INDEX "outbox_messages_status_next_attempt_at_idx" ON "outbox_messages"("status", "next_attempt_at");
CREATE INDEX "outbox_messages_ordering_key_status_idx" ON "outbox_messages"("ordering_key", "status");
