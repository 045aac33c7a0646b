/** CSV downloads: the server makes the files (GET /api/v1/sightings.csv, /persons/{id}/sightings.csv). */

/** Hands the text to the browser as a file download. */
export function download(text: string, filename: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
