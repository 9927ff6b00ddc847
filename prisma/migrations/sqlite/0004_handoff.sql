-- Help-desk agents take conversations over: handoff sessions and the transcript of the handed-off part.
CREATE TABLE "handoff_sessions" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "user_id" TEXT NOT NULL,
  "user_aad_object_id" TEXT,
  "user_name" TEXT,
  "user_conversation_id" TEXT NOT NULL,
  "lang" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "last_route" TEXT,
  "team_id" TEXT NOT NULL,
  "channel_id" TEXT,
  "card_activity_id" TEXT,
  "card_conversation_id" TEXT,
  "agent_id" TEXT,
  "agent_aad_object_id" TEXT,
  "agent_name" TEXT,
  "ended_by" TEXT,
  "ended_by_name" TEXT,
  "wait_notified_at" DATETIME,
  "version" INTEGER NOT NULL DEFAULT 1,
  "requested_at" DATETIME NOT NULL,
  "accepted_at" DATETIME,
  "ended_at" DATETIME,
  "updated_at" DATETIME NOT NULL
);
-- At most one open (waiting or active) session per user conversation: a double tap starts one handoff.
CREATE UNIQUE INDEX "handoff_sessions_open_conversation_key" ON "handoff_sessions"("user_conversation_id") WHERE "status" IN ('waiting', 'active');
CREATE INDEX "handoff_sessions_user_conversation_id_status_idx" ON "handoff_sessions"("user_conversation_id", "status");
CREATE INDEX "handoff_sessions_card_conversation_id_idx" ON "handoff_sessions"("card_conversation_id");
CREATE INDEX "handoff_sessions_status_requested_at_idx" ON "handoff_sessions"("status", "requested_at");
CREATE INDEX "handoff_sessions_user_id_requested_at_idx" ON "handoff_sessions"("user_id", "requested_at");

CREATE TABLE "handoff_messages" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "session_id" INTEGER NOT NULL,
  "direction" TEXT NOT NULL,
  "author_id" TEXT,
  "author_name" TEXT,
  "text" TEXT,
  "withheld" BOOLEAN NOT NULL DEFAULT false,
  "before_handoff" BOOLEAN NOT NULL DEFAULT false,
  "at" DATETIME NOT NULL,
  CONSTRAINT "handoff_messages_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "handoff_sessions" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "handoff_messages_session_id_id_idx" ON "handoff_messages"("session_id", "id");
