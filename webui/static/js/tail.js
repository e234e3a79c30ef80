// Following a growing file through an agent's /files/read (Mesos'
// {"data", "offset"} answers), as Mesos' "pailer" does: start near the
// end, then ask for what was appended, once a second while the page that
// shows it is open.

// CHUNK is how much one read asks for; KEEP how much text is kept.
export const CHUNK = 64 * 1024;
export const KEEP = 256 * 1024;
const EVERY = 1000;

const utf8 = new TextEncoder();

export class Tail {
  // read(offset, length) resolves to /files/read's JSON; changed() is
  // called when text arrives; alive() says whether to keep following.
  constructor(read, changed, alive) {
    this.read = read;
    this.changed = changed;
    this.alive = alive;
    this.text = "";
    this.offset = -1;
    this.error = null;
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.step();
  }

  async step() {
    if (!this.alive()) {
      this.running = false;
      return;
    }
    let again = EVERY;
    try {
      if (this.offset < 0) {
        const end = (await this.read(-1, -1)).offset || 0;
        this.offset = Math.max(0, end - CHUNK);
        again = 0;
      } else {
        const got = await this.read(this.offset, CHUNK);
        const data = got.data || "";
        if (data.length) {
          this.offset = (got.offset || 0) + utf8.encode(data).length;
          this.text = (this.text + data).slice(-KEEP);
          this.changed();
        }
        if (utf8.encode(data).length >= CHUNK) again = 0; // more is waiting
      }
      this.error = null;
    } catch (err) {
      if (!this.error) this.changed();
      this.error = err;
      again = 5 * EVERY;
    }
    setTimeout(() => this.step(), again);
  }
}
