/// Charts drawn as inline SVG by our own code, each followed by its numbers in a table (the
/// chart is an image for the eye; the table is what a screen reader and a copy-paste get).
/// Colours come from the stylesheet's `series-N` classes: no inline style, so the strict
/// Content-Security-Policy holds.
public enum Chart {
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Int
        public init(_ label: String, _ value: Int) {
            self.label = label
            self.value = value
        }
    }

    public struct Stack: Sendable, Equatable {
        public var label: String
        public var values: [Int]
        public init(_ label: String, _ values: [Int]) {
            self.label = label
            self.values = values
        }
    }

    /// Horizontal bars, one per category, longest first as given.
    public static func bars(title: String, _ bars: [Bar], valueHeading: String = "Devices") -> HTML {
        guard !bars.isEmpty else { return empty(title) }
        let width = 480, labelWidth = 160, row = 22
        let top = max(bars.map(\.value).max() ?? 1, 1)
        let height = bars.count * row + 4
        let drawn = bars.enumerated().html { index, bar in
            let y = index * row + 2
            let length = Int((Double(bar.value) / Double(top)) * Double(width - labelWidth - 50))
            return """
                <text x="\(labelWidth - 6)" y="\(y + 15)" class="label" text-anchor="end">\(clip(bar.label))</text>\
                <rect x="\(labelWidth)" y="\(y + 3)" width="\(max(length, bar.value > 0 ? 1 : 0))" height="\(row - 6)" class="series-0"/>\
                <text x="\(labelWidth + length + 4)" y="\(y + 15)" class="value">\(bar.value)</text>
                """
        }
        return figure(
            title: title, svg: svg(title: title, width: width, height: height, drawn),
            table: table(headings: ["", valueHeading], rows: bars.map { [$0.label, String($0.value)] }))
    }

    /// One bar per row, split into its series (an app's install states).
    public static func stackedBars(title: String, series: [String], _ stacks: [Stack]) -> HTML {
        guard !stacks.isEmpty else { return empty(title) }
        let width = 480, labelWidth = 160, row = 22, legend = 22
        let plot = width - labelWidth - 10
        let height = stacks.count * row + legend + 4
        var drawn = HTML.empty
        for (index, stack) in stacks.enumerated() {
            let y = index * row + 2
            let total = max(stack.values.reduce(0, +), 1)
            drawn += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" class=\"label\" text-anchor=\"end\">\(clip(stack.label))</text>"
            var x = labelWidth
            for (part, value) in stack.values.enumerated() where value > 0 {
                let length = max(Int((Double(value) / Double(total)) * Double(plot)), 1)
                drawn += "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(length)\" height=\"\(row - 6)\" class=\"series-\(part % 6)\"><title>\(series[part]): \(value)</title></rect>"
                x += length
            }
        }
        let legendY = stacks.count * row + 8
        var x = labelWidth
        for (part, name) in series.enumerated() {
            drawn += "<rect x=\"\(x)\" y=\"\(legendY)\" width=\"10\" height=\"10\" class=\"series-\(part % 6)\"/><text x=\"\(x + 13)\" y=\"\(legendY + 9)\" class=\"legend\">\(name)</text>"
            x += 14 + name.count * 6 + 8
        }
        return figure(
            title: title, svg: svg(title: title, width: max(width, x), height: height, drawn),
            table: table(headings: [""] + series, rows: stacks.map { [$0.label] + $0.values.map(String.init) }))
    }

    /// A line over days (check-ins per day), with the first and last day and the peak labelled.
    public static func line(title: String, _ points: [Bar], valueHeading: String = "Check-ins") -> HTML {
        guard !points.isEmpty else { return empty(title) }
        let width = 480, height = 160, left = 40, bottom = 22, top = 10
        let peak = max(points.map(\.value).max() ?? 1, 1)
        let step = points.count > 1 ? Double(width - left - 10) / Double(points.count - 1) : 0
        func x(_ index: Int) -> Int { left + Int(Double(index) * step) }
        func y(_ value: Int) -> Int { height - bottom - Int(Double(value) / Double(peak) * Double(height - bottom - top)) }
        let path = points.enumerated().map { index, point in "\(index == 0 ? "M" : "L")\(x(index)),\(y(point.value))" }.joined(separator: " ")
        var drawn: HTML = """
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - 10)" y2="\(height - bottom)" class="axis"/>\
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" class="axis"/>\
            <text x="\(left - 4)" y="\(top + 8)" class="value" text-anchor="end">\(peak)</text>\
            <text x="\(left - 4)" y="\(height - bottom)" class="value" text-anchor="end">0</text>\
            <path d="\(path)" class="line"/>
            """
        for (index, point) in points.enumerated() {
            drawn += "<circle cx=\"\(x(index))\" cy=\"\(y(point.value))\" r=\"2.5\" class=\"dot\"><title>\(point.label): \(point.value)</title></circle>"
        }
        drawn += "<text x=\"\(left)\" y=\"\(height - 6)\" class=\"label\">\(points[0].label)</text>"
        drawn += "<text x=\"\(width - 10)\" y=\"\(height - 6)\" class=\"label\" text-anchor=\"end\">\(points[points.count - 1].label)</text>"
        return figure(
            title: title, svg: svg(title: title, width: width, height: height, drawn),
            table: table(headings: ["Day", valueHeading], rows: points.map { [$0.label, String($0.value)] }))
    }

    static func svg(title: String, width: Int, height: Int, _ body: HTML) -> HTML {
        """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" aria-label="\(title)">\(body)</svg>
        """
    }

    static func figure(title: String, svg: HTML, table: HTML) -> HTML {
        """
        <figure class="chart-card"><figcaption>\(title)</figcaption>\(svg)\
        <details class="numbers"><summary>Numbers</summary>\(table)</details></figure>
        """
    }

    static func table(headings: [String], rows: [[String]]) -> HTML {
        let head = headings.html { "<th scope=\"col\">\($0)</th>" }
        let body = rows.html { row in
            "<tr><th scope=\"row\">\(row[0])</th>\(row.dropFirst().html { "<td class=\"num\">\($0)</td>" })</tr>"
        }
        return "<table class=\"data\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    static func empty(_ title: String) -> HTML {
        "<figure class=\"chart-card\"><figcaption>\(title)</figcaption><p class=\"muted\">Nothing to show yet.</p></figure>"
    }

    /// Long labels are cut so the chart keeps its shape; the table has them whole.
    static func clip(_ label: String) -> String { label.count > 24 ? String(label.prefix(23)) + "…" : label }
}
