/** Offers text the app fetched (a transcript, a CSV export) as a file to save. */
export function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  // The click starts the download; the URL must outlive it a little.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
