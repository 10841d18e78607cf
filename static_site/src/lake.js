// The lake through DuckDB-WASM: only the objects manifest.json lists (a bucket cannot be
// listed, and an unlisted object may be uncommitted), read over HTTP range requests.

import * as duckdb from './vendor/duckdb/duckdb-browser.mjs';

const DIST = new URL('./vendor/duckdb/', import.meta.url).href;
const FILES_PER_SCAN = 200;
// DuckDB-WASM 1.28 fails ("memory access out of bounds") on one read_parquet over ~700
// files; a union of scans of at most this many files reads the same rows.

function quote(text) {
  return "'" + String(text).replaceAll("'", "''") + "'";
}

function plain(value) {
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value.toArray === 'function') return Array.from(value.toArray(), plain);
  return value;
}

/** Rows of an Arrow table as plain objects (BigInt as Number, lists as arrays). */
export function rowsOf(table) {
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((n) => table.getChild(n));
  const rows = [];
  for (let i = 0; i < table.numRows; i += 1) {
    const row = {};
    names.forEach((n, j) => { row[n] = plain(columns[j].get(i)); });
    rows.push(row);
  }
  return rows;
}

export class Lake {
  constructor(db, conn, base, manifest) {
    this.db = db;
    this.conn = conn;
    this.base = base;
    this.manifest = manifest;
    this.views = new Set();
  }

  static async open(base, manifest) {
    const bundle = await duckdb.selectBundle({
      mvp: { mainModule: DIST + 'duckdb-mvp.wasm', mainWorker: DIST + 'duckdb-browser-mvp.worker.js' },
      eh: { mainModule: DIST + 'duckdb-eh.wasm', mainWorker: DIST + 'duckdb-browser-eh.worker.js' },
    });
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), new Worker(bundle.mainWorker));
    await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
    const conn = await db.connect();
    await conn.query('SET enable_object_cache = true');
    return new Lake(db, conn, base, manifest);
  }

  files(table, filter = () => true) {
    return ((this.manifest.files || {})[table] || []).filter(filter);
  }

  tables() {
    return Object.keys(this.manifest.files || {}).filter((t) => this.files(t).length).sort();
  }

  url(name) {
    return new URL(name, this.base).href;
  }

  /** read_parquet over an explicit list of lake objects (hive partitions from the names). */
  source(names) {
    const scans = [];
    for (let i = 0; i < names.length; i += FILES_PER_SCAN) {
      const urls = names.slice(i, i + FILES_PER_SCAN).map((n) => quote(this.url(n)));
      scans.push(`SELECT * FROM read_parquet([${urls.join(', ')}], hive_partitioning = true)`);
    }
    return `(${scans.join(' UNION ALL ')})`;
  }

  /** ``select`` (a query with ``FROM {source}``) over ``names``, one scan per chunk of files. */
  async collect(names, select) {
    const rows = [];
    for (let i = 0; i < names.length; i += FILES_PER_SCAN) {
      rows.push(...await this.query(select.replace('{source}', this.source(names.slice(i, i + FILES_PER_SCAN)))));
    }
    return rows;
  }

  async query(sql) {
    return rowsOf(await this.conn.query(sql));
  }

  /** Columns of the result as arrays (typed where numeric): cheap for many rows. */
  async columns(sql) {
    const table = await this.conn.query(sql);
    const out = {};
    for (const field of table.schema.fields) {
      const values = table.getChild(field.name).toArray();
      out[field.name] = values instanceof BigInt64Array ? Array.from(values, Number) : values;
    }
    return out;
  }

  async arrow(sql) {
    return this.conn.query(sql);
  }

  /** A view per table the SQL names, over that table's listed objects. */
  async viewsFor(sql) {
    for (const table of this.tables()) {
      if (this.views.has(table) || !new RegExp(`\\b${table}\\b`, 'i').test(sql)) continue;
      await this.conn.query(`CREATE OR REPLACE VIEW ${table} AS SELECT * FROM ${this.source(this.files(table))}`);
      this.views.add(table);
    }
  }

  async refresh(manifest) {
    this.manifest = manifest;
    for (const table of this.views) await this.conn.query(`DROP VIEW IF EXISTS ${table}`);
    this.views.clear();
  }

  async fileBytes(name) {
    return this.db.copyFileToBuffer(name);
  }
}
