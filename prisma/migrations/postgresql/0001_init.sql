-- Foundation: bot state, conversation references, team installations, requests and their events.
CREATE TABLE "bot_state_items" (
  "key" TEXT NOT NULL PRIMARY KEY,
  "data" TEXT NOT NULL,
  "etag" TEXT NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL
);

CREATE TABLE "conversation_refs" (
  "conversation_id" TEXT NOT NULL PRIMARY KEY,
  "scope" TEXT NOT NULL,
  "user_id" TEXT,
  "aad_object_id" TEXT,
  "team_id" TEXT,
  "channel_id" TEXT,
  "locale" TEXT,
  "reference" TEXT NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "conversation_refs_team_id_idx" ON "conversation_refs"("team_id");
CREATE INDEX "conversation_refs_user_id_idx" ON "conversation_refs"("user_id");

CREATE TABLE "team_installations" (
  "team_id" TEXT NOT NULL PRIMARY KEY,
  "channel_id" TEXT NOT NULL,
  "service_url" TEXT NOT NULL,
  "tenant_id" TEXT,
  "reference" TEXT NOT NULL,
  "installed_at" TIMESTAMP(3) NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL
);

CREATE TABLE "reference_counters" (
  "year" INTEGER NOT NULL PRIMARY KEY,
  "last" INTEGER NOT NULL
);

CREATE TABLE "access_requests" (
  "id" SERIAL PRIMARY KEY,
  "reference" TEXT NOT NULL,
  "kind" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "requester_role" TEXT NOT NULL,
  "requester_user_id" TEXT NOT NULL,
  "requester_aad_object_id" TEXT,
  "requester_name" TEXT,
  "requester_email" TEXT,
  "requester_conversation_id" TEXT NOT NULL,
  "locale" TEXT NOT NULL,
  "last_name" TEXT,
  "first_name" TEXT,
  "practice_location" TEXT,
  "email" TEXT,
  "ramq_user_code" TEXT,
  "employee_number" TEXT,
  "job_title" TEXT,
  "supervisor_authorized" BOOLEAN,
  "authorized_by" TEXT,
  "idempotency_key" TEXT NOT NULL,
  "assignee_id" TEXT,
  "assignee_name" TEXT,
  "code_expires_at" TIMESTAMP(3),
  "registration_done_at" TIMESTAMP(3),
  "rejection_reason" TEXT,
  "manager_card_activity_id" TEXT,
  "requester_unreachable" BOOLEAN NOT NULL DEFAULT false,
  "version" INTEGER NOT NULL DEFAULT 1,
  "created_at" TIMESTAMP(3) NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL,
  "closed_at" TIMESTAMP(3),
  "erased_at" TIMESTAMP(3)
);
CREATE UNIQUE INDEX "access_requests_reference_key" ON "access_requests"("reference");
CREATE UNIQUE INDEX "access_requests_idempotency_key_key" ON "access_requests"("idempotency_key");
CREATE INDEX "access_requests_requester_user_id_created_at_idx" ON "access_requests"("requester_user_id", "created_at");
CREATE INDEX "access_requests_status_created_at_idx" ON "access_requests"("status", "created_at");
CREATE INDEX "access_requests_status_code_expires_at_idx" ON "access_requests"("status", "code_expires_at");
CREATE INDEX "access_requests_closed_at_idx" ON "access_requests"("closed_at");

CREATE TABLE "request_events" (
  "id" SERIAL PRIMARY KEY,
  "request_id" INTEGER NOT NULL,
  "action" TEXT NOT NULL,
  "from_status" TEXT,
  "to_status" TEXT,
  "actor_id" TEXT NOT NULL,
  "actor_name" TEXT,
  "reason" TEXT,
  "at" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "request_events_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "access_requests" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "request_events_request_id_at_idx" ON "request_events"("request_id", "at");

CREATE TABLE "processed_activities" (
  "key" TEXT NOT NULL PRIMARY KEY,
  "created_at" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "processed_activities_created_at_idx" ON "processed_activities"("created_at");
