// The lake through DuckDB-WASM: only the objects manifest.json lists (a bucket cannot be
// listed, and an unlisted object may be uncommitted); small objects fetched whole, the others
// read over HTTP range requests.

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

/** Objects smaller than this are fetched whole, in parallel, and handed to DuckDB as
 * buffers: one request each instead of DuckDB-WASM's ~3 sequential range reads per object
 * (a HEAD, the footer, the column chunks), which dominate the time to chart small tables. */
export const WHOLE_BYTES = 1 << 20;

/** ``table``'s objects in ``manifest`` that pass ``filter``. */
export function listed(manifest, table, filter = () => true) {
  return ((manifest.files || {})[table] || []).filter(filter);
}

/** The objects among ``names`` small enough to fetch whole. */
export function smallObjects(manifest, names) {
  const sizes = manifest.objects || {};
  return names.filter((n) => sizes[n] && sizes[n][0] <= WHOLE_BYTES);
}

/** ``names`` (lake objects under ``base``) fetched at once: name -> a promise of its bytes. */
export function fetchWhole(base, names) {
  return new Map(names.map((name) => [name, fetch(new URL(name, base)).then(async (response) => {
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  })]));
}

export class Lake {
  constructor(db, conn) {
    this.db = db;
    this.conn = conn;
    this.base = null;
    this.manifest = null;
    this.views = new Set();
    this.local = new Set();
  }

  /** DuckDB-WASM started (worker, wasm compiled): needs nothing from the lake, so the page
   * starts it before anything else. */
  static async open() {
    const bundle = await duckdb.selectBundle({
      mvp: { mainModule: DIST + 'duckdb-mvp.wasm', mainWorker: DIST + 'duckdb-browser-mvp.worker.js' },
      eh: { mainModule: DIST + 'duckdb-eh.wasm', mainWorker: DIST + 'duckdb-browser-eh.worker.js' },
    });
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), new Worker(bundle.mainWorker));
    await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
    const conn = await db.connect();
    await conn.query('SET enable_object_cache = true');
    return new Lake(db, conn);
  }

  use(base, manifest) {
    this.base = base;
    this.manifest = manifest;
  }

  /** The small objects among ``names`` (by the manifest's sizes) not yet handed to DuckDB. */
  small(names) {
    return smallObjects(this.manifest, names).filter((n) => !this.local.has(n));
  }

  /** ``names`` (lake objects) fetched at once: name -> a promise of its bytes. */
  fetchWhole(names) {
    return fetchWhole(this.base, names);
  }

  /** Hand fetched objects (``fetchWhole``'s map) to DuckDB; queries then read them from memory. */
  async register(fetched) {
    for (const [name, bytes] of fetched) {
      if (this.local.has(name)) continue;
      await this.db.registerFileBuffer(name, await bytes);
      this.local.add(name);
    }
  }

  files(table, filter = () => true) {
    return listed(this.manifest, table, filter);
  }

  tables() {
    return Object.keys(this.manifest.files || {}).filter((t) => this.files(t).length).sort();
  }

  /** Where DuckDB reads ``name``: its registered buffer, else its URL (range requests). */
  url(name) {
    return this.local.has(name) ? name : new URL(name, this.base).href;
  }

  /** read_parquet over an explicit list of lake objects. Day objects take their partition
   * columns from their names (hive); month objects (`prices/kind=day/month=YYYY-MM/`) hold
   * their dates as a column and are read without hive partitioning, which costs DuckDB-WASM
   * several milliseconds per file (and whose keys differ from the day objects' anyway). */
  source(names) {
    const scans = [];
    for (const monthly of [false, true]) {
      const group = names.filter((n) => n.includes('/month=') === monthly);
      for (let i = 0; i < group.length; i += FILES_PER_SCAN) {
        const urls = group.slice(i, i + FILES_PER_SCAN).map((n) => quote(this.url(n)));
        scans.push(monthly
          ? `SELECT *, 'day' AS kind FROM read_parquet([${urls.join(', ')}], hive_partitioning = false)`
          : `SELECT * FROM read_parquet([${urls.join(', ')}], hive_partitioning = true)`);
      }
    }
    return `(${scans.join(' UNION ALL BY NAME ')})`;
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
