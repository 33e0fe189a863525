-- Facts about the installation itself, such as the check value that tells
-- whether the master key in use is the one the data was written with.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
