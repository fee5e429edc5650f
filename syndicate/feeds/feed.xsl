<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS 2.0 or Atom 1.0 feed as a readable page when opened in a browser. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:media="http://search.yahoo.com/mrss/"
    exclude-result-prefixes="atom dc media">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
  <xsl:variable name="description" select="/rss/channel/description | /atom:feed/atom:subtitle"/>
  <xsl:variable name="site" select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href"/>
  <xsl:variable name="self" select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>

  <xsl:variable name="lang" select="/rss/channel/language | /atom:feed/@xml:lang"/>
  <xsl:variable name="es" select="starts-with($lang, 'es')"/>
  <!-- The site is where the feeds are published: https://host/feeds/world/rss.xml. -->
  <xsl:variable name="base" select="substring-before($self, '/feeds/')"/>
  <xsl:variable name="section" select="substring-before(substring-after($self, '/feeds/'), '/')"/>

  <xsl:template match="/">
    <html lang="{$lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>
          body { font: 17px/1.5 Georgia, "Times New Roman", serif; color: #1d1d1f; background: #fafaf7; margin: 0; }
          main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
          .about { font-family: system-ui, sans-serif; font-size: 15px; background: #fff4d6; border: 1px solid #ecd9a0; border-radius: 8px; padding: 1rem 1.25rem; }
          .about code { display: block; margin-top: .5rem; padding: .4rem .6rem; background: #fff; border: 1px solid #ddd; border-radius: 4px; overflow-wrap: anywhere; }
          h1 { font-size: 2rem; margin: 1.5rem 0 .25rem; }
          .description { color: #555; margin-top: 0; }
          article { display: flex; gap: 1rem; padding: 1.1rem 0; border-bottom: 1px solid #e3e3dc; }
          article img { width: 8rem; height: 5.5rem; object-fit: cover; border-radius: 4px; flex: none; }
          h2 { font-size: 1.2rem; margin: 0 0 .3rem; line-height: 1.3; }
          h2 a { color: #0b3d91; text-decoration: none; }
          h2 a:hover { text-decoration: underline; }
          .meta { font-family: system-ui, sans-serif; font-size: 13px; color: #6b6b6b; margin: 0 0 .3rem; }
          .summary { margin: 0; }
        </style>
      </head>
      <body>
        <main>
          <div class="about">
            <xsl:choose>
              <xsl:when test="$es">
                <strong>Esto es un feed web.</strong>
                Copia esta dirección en tu lector de feeds (NetNewsWire, Thunderbird, Miniflux, Feedly...)
                para recibir cada artículo nuevo en cuanto se publique.
              </xsl:when>
              <xsl:otherwise>
                <strong>This is a web feed.</strong>
                Copy this address into your feed reader (NetNewsWire, Thunderbird, Miniflux, Feedly...)
                to get each new article as it is published.
              </xsl:otherwise>
            </xsl:choose>
            <code><xsl:value-of select="$self"/></code>
          </div>
          <xsl:if test="$base">
            <form class="about" method="get" action="{$base}/subscribe">
              <input type="hidden" name="lang" value="{substring($lang, 1, 2)}"/>
              <xsl:if test="$section != 'all'">
                <input type="hidden" name="sections" value="{$section}"/>
              </xsl:if>
              <label for="email">
                <xsl:choose>
                  <xsl:when test="$es">O recíbelo por correo: tu dirección</xsl:when>
                  <xsl:otherwise>Or get it by email: your address</xsl:otherwise>
                </xsl:choose>
              </label>
              <input type="email" id="email" name="email" autocomplete="email" required="required"/>
              <button type="submit">
                <xsl:choose>
                  <xsl:when test="$es">Continuar</xsl:when>
                  <xsl:otherwise>Continue</xsl:otherwise>
                </xsl:choose>
              </button>
            </form>
          </xsl:if>
          <h1><xsl:value-of select="$title"/></h1>
          <p class="description">
            <xsl:value-of select="$description"/>
            <xsl:text> · </xsl:text>
            <a href="{$site}">
              <xsl:choose>
                <xsl:when test="$es">Visitar el sitio</xsl:when>
                <xsl:otherwise>Visit the website</xsl:otherwise>
              </xsl:choose>
            </a>
          </p>
          <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item | atom:entry">
    <xsl:variable name="image" select="media:content/@url"/>
    <article>
      <xsl:if test="$image">
        <img src="{$image}" alt="{media:content/media:description}"/>
      </xsl:if>
      <div>
        <h2>
          <a href="{link | atom:link[not(@rel) or @rel='alternate']/@href}">
            <xsl:value-of select="title | atom:title"/>
          </a>
        </h2>
        <p class="meta">
          <xsl:value-of select="dc:creator | atom:author/atom:name"/>
          <xsl:text> · </xsl:text>
          <xsl:value-of select="pubDate | atom:published"/>
        </p>
        <p class="summary">
          <xsl:value-of select="atom:summary"/>
          <xsl:call-template name="unescape">
            <xsl:with-param name="text" select="description"/>
          </xsl:call-template>
        </p>
      </div>
    </article>
  </xsl:template>

  <!-- RSS <description> is HTML: syndicate writes it as escaped plain text, so undo
       the three escapes it uses (&amp; &lt; &gt;) to show the words themselves. -->
  <xsl:template name="unescape">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '&amp;')">
        <xsl:value-of select="substring-before($text, '&amp;')"/>
        <xsl:variable name="rest" select="substring-after($text, '&amp;')"/>
        <xsl:choose>
          <xsl:when test="starts-with($rest, 'amp;')">&amp;</xsl:when>
          <xsl:when test="starts-with($rest, 'lt;')">&lt;</xsl:when>
          <xsl:when test="starts-with($rest, 'gt;')">&gt;</xsl:when>
          <xsl:otherwise>&amp;</xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="unescape">
          <xsl:with-param name="text">
            <xsl:choose>
              <xsl:when test="starts-with($rest, 'amp;') or starts-with($rest, 'lt;') or starts-with($rest, 'gt;')">
                <xsl:value-of select="substring-after($rest, ';')"/>
              </xsl:when>
              <xsl:otherwise><xsl:value-of select="$rest"/></xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
