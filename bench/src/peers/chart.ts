import sharp from 'sharp';

/** One panel of the chart: a scenario and one bar per system. */
export interface ChartPanel {
  title: string;
  bars: { label: string; value: number }[];
}

const COLORS: Record<string, string> = {
  kurier: '#0f766e',
  'plain-ws': '#94a3b8',
  'mosquitto-qos0': '#f59e0b',
  'mosquitto-qos1': '#d97706',
  ejabberd: '#6366f1',
};

/**
 * Renders horizontal bar panels (one per scenario) as SVG and writes it as PNG with sharp; each
 * panel has its own scale, so the bars compare systems, never scenarios.
 */
export async function renderChart(file: string, panels: ChartPanel[]): Promise<void> {
  const width = 900;
  const barHeight = 22;
  const labelWidth = 150;
  let y = 50;
  const parts: string[] = [
    `<text x="20" y="30" font-family="sans-serif" font-size="20" font-weight="700" fill="#0f172a">Kurier and its peers, same machine, same run</text>`,
  ];
  for (const panel of panels.filter((p) => p.bars.length > 0)) {
    parts.push(
      `<text x="20" y="${y + 16}" font-family="sans-serif" font-size="15" font-weight="700" fill="#0f172a">${escapeXml(panel.title)}</text>`,
    );
    y += 26;
    const max = Math.max(...panel.bars.map((b) => b.value), 1);
    for (const bar of panel.bars) {
      const w = Math.max(2, ((width - labelWidth - 140) * bar.value) / max);
      parts.push(
        `<text x="20" y="${y + 16}" font-family="sans-serif" font-size="13" fill="#334155">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${barHeight - 6}" rx="3" fill="${COLORS[bar.label] ?? '#64748b'}"/>`,
        `<text x="${labelWidth + w + 8}" y="${y + 16}" font-family="sans-serif" font-size="13" fill="#0f172a">${bar.value.toLocaleString('en')}</text>`,
      );
      y += barHeight;
    }
    y += 16;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}"><rect width="100%" height="100%" fill="#ffffff"/>${parts.join('')}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
