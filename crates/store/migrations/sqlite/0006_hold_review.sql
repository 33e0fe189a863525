-- When a hold is to be reviewed, so that overdue reviews can be listed
-- without opening anyone's data.
ALTER TABLE due ADD COLUMN review_at TEXT;
CREATE INDEX due_review ON due (review_at) WHERE held = 1;
