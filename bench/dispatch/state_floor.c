/* The least a dispatch can do with its state file: open it as ops-cpp's
 * storage does (exclusive locking, synchronous=NORMAL in WAL mode), read
 * whether any deferred notice is waiting, roll back and close. run.sh links
 * it -static against the system's SQLite, as a STATIC dispatch is linked,
 * and times it beside the no-op hook and an empty program: what is left
 * between this and the no-op hook is the framework's own cost.
 *   state-floor [STATE_FILE]   (default: $JUJU_CHARM_DIR/.unit-state.db, as
 *   a dispatch finds it; exit status 0, or 1 with SQLite's message) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(sqlite3* db, const char* what) {
  fprintf(stderr, "state-floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close_v2(db);
  return 1;
}

int main(int argc, char** argv) {
  char path[4096];
  const char* charm_dir = getenv("JUJU_CHARM_DIR");
  if (argc == 2) {
    snprintf(path, sizeof path, "%s", argv[1]);
  } else if (argc == 1 && charm_dir != NULL) {
    snprintf(path, sizeof path, "%s/.unit-state.db", charm_dir);
  } else {
    fprintf(stderr, "usage: state-floor [STATE_FILE] (default: $JUJU_CHARM_DIR/.unit-state.db)\n");
    return 2;
  }
  /* The storage's process configuration (storage_sqlite.cpp). */
  sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3* db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    return fail(db, "open");
  }
  if (sqlite3_exec(db,
                   "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=NORMAL; "
                   "BEGIN EXCLUSIVE",
                   NULL, NULL, NULL) != SQLITE_OK) {
    return fail(db, "begin");
  }
  sqlite3_stmt* st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM notice LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
    return fail(db, "read the notices");
  }
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(db, "read the notices");
  if (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK) return fail(db, "rollback");
  return sqlite3_close(db) == SQLITE_OK ? 0 : fail(db, "close");
}
