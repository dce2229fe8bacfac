// SQLite's defensive mode, behind a plain function: sqlite3_db_config is variadic, which Swift cannot call.
#include <sqlite3.h>

/// Turns on SQLITE_DBCONFIG_DEFENSIVE: no writes to the schema table (writable_schema), to shadow tables, or other
/// ways of corrupting a file through SQL. Returns SQLITE_OK or the error.
static inline int tracker_sqlite_enable_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}
