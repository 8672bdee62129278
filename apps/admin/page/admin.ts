/**
 * The admin page's script, bundled by scripts/build-admin-page.mjs into admin.js beside index.html.
 * It calls the admin HTTP API with the token the admin pasted (sessionStorage: this tab only).
 * Everything that comes from the server is rendered as text nodes, never as HTML (dom.ts); the
 * page's CSP enforces Trusted Types, so an HTML sink would throw rather than render.
 */
import { mountBox } from './box';
import { mountEvents } from './events';
import { mountHealth } from './health';
import { mountProjections } from './projections';
import { mountRepublish } from './republish';
import { mountStream } from './stream';
import { mountToken } from './token';

mountToken();
mountEvents();
mountStream();
mountBox();
mountProjections();
mountRepublish();
// Last: its listeners on the token form run after the token is stored.
mountHealth();
