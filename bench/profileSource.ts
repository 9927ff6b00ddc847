/** Where a profile frame's code comes from: a package, a Node module, a folder of the app, or `(native)`. */
export function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(bot|dialogs|domain|data|cards|generated|bench)\//.exec(url);
  return m ? `app:${m[1]}` : url.replace(/^file:\/\//, '');
}
